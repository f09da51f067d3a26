/**
 * The external id a customer's role must require. It is derived from the
 * organisation id and never taken from customer input, so one organisation
 * cannot make datastreamer assume another organisation's role.
 */
export function externalIdOf(organisationId: number): string {
  return `org-${organisationId}`;
}

/** Session name shown in the customer's CloudTrail for each assumed session. */
export function sessionNameOf(organisationId: number): string {
  return `datastreamer-org-${organisationId}`;
}

import { InvalidArgumentError } from 'commander';

/** Parses a whole number option within bounds, naming the option in the error. */
export function integerOption(name: string, min: number, max: number) {
  return (raw: string): number => {
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new InvalidArgumentError(`${name} must be a whole number from ${min} to ${max}, got "${raw}".`);
    }
    return value;
  };
}

/** Parses a comma-separated list of organisation ids. */
export function idListOption(raw: string): number[] {
  const ids = raw.split(',').map((part) => Number(part.trim()));
  if (ids.length === 0 || ids.some((id) => !Number.isInteger(id) || id <= 0)) {
    throw new InvalidArgumentError(`expected comma-separated organisation ids such as "1,2", got "${raw}".`);
  }
  return ids;
}

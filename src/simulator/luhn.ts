/** Returns the Luhn (mod 10) check digit of a string of decimal digits, the digit that ends ICCIDs and IMEIs. */
export function luhnCheckDigit(digits: string): string {
  if (!/^[0-9]+$/.test(digits)) {
    throw new Error(`Cannot compute a Luhn check digit of "${digits}": it must contain decimal digits only.`);
  }

  // Doubling starts at the rightmost digit, because the check digit goes after it.
  let sum = 0;
  for (let position = 0; position < digits.length; position++) {
    let digit = Number(digits[digits.length - 1 - position]);
    if (position % 2 === 0) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }

  return String((10 - (sum % 10)) % 10);
}

/** Returns whether the last digit of `number` is its correct Luhn check digit. */
export function hasValidLuhnCheckDigit(number: string): boolean {
  if (!/^[0-9]{2,}$/.test(number)) return false;
  return luhnCheckDigit(number.slice(0, -1)) === number.slice(-1);
}

import { InvalidInputError } from './errors.js';

declare const userNameBrand: unique symbol;
export type UserName = string & { readonly [userNameBrand]: true };

const USER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,38}$/;

export function parseUserName(input: string): UserName {
  if (!USER_NAME.test(input) || input.endsWith('.')) {
    throw new InvalidInputError(
      `invalid user name ${JSON.stringify(input.slice(0, 60))}: use 1-39 letters, digits, ".", "_" or "-", starting with a letter or digit`,
    );
  }
  return input as UserName;
}

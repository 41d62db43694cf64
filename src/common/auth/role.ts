/**
 * What a caller may do. Lives here, below every module, because the auth guard and decorators
 * need it as much as the users module that stores it.
 */
export enum Role {
  User = 'user',
  Admin = 'admin',
}

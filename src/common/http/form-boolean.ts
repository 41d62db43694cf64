/**
 * For `@Transform`: form posts (`application/x-www-form-urlencoded`) send booleans as the
 * strings "true"/"false"; anything else is left for `@IsBoolean()` to refuse.
 */
export const formBoolean = ({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value);

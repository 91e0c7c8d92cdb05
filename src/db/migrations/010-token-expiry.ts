/**
 * Tokens may expire (`ferry token add USER --expires 90d`, the web form's expiry): NULL never
 * expires, which keeps every token made before this column existed working as it did.
 */
export const tokenExpirySchema = `
ALTER TABLE tokens ADD COLUMN expires_at TEXT;
`;

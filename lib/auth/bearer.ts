/** The token of an `Authorization: Bearer <token>` header (scheme name case-insensitive, RFC 6750). */
export function bearerToken(authorization: string | undefined): string | undefined {
  const match = /^bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization ?? '');
  return match?.[1];
}

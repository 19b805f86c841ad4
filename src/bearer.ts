/** The key of an `Authorization: Bearer <key>` header, as OpenAI's clients send it; undefined without one. */
export const bearerKey = (authorization: string | undefined): string | undefined => /^Bearer\s+(.+)$/i.exec(authorization ?? '')?.[1]?.trim();

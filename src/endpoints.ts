/** Where the backing services are, once the stack (embedded or external) is up. */
export interface Endpoints {
  databaseUrl: string;
  temporalAddress: string;
  s3Endpoint: string;
  /** An OpenAI-compatible server's base URL (…/v1). */
  embeddingsUrl: string;
}

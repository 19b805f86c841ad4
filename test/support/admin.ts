import OpenAI from 'openai';

/** The SDK on an API of a test's own, as an operator (the admin key) or as a project (its key). */
export const adminClient = (service: { url: string }, adminAPIKey: string) => new OpenAI({ baseURL: `${service.url}/v1`, adminAPIKey, apiKey: null, maxRetries: 0 });
export const projectClient = (service: { url: string }, apiKey: string) => new OpenAI({ baseURL: `${service.url}/v1`, apiKey, maxRetries: 0 });

/** A new project and a service account's key for it, through the admin API. */
export async function newProjectKey(admin: OpenAI, name: string): Promise<{ projectId: string; key: string }> {
  const project = await admin.admin.organization.projects.create({ name });
  const account = await admin.admin.organization.projects.serviceAccounts.create(project.id, { name: `${name}-bot` });
  return { projectId: project.id, key: account.api_key!.value };
}

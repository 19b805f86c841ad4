import OpenAI from 'openai';

/**
 * The floors' activities: `noop` does nothing, so what is measured is Temporal's own cost;
 * `streamModel` makes the model call a run makes and says when its first content and its end
 * came (wall-clock ms), to the benchmark in the same process.
 */
export function floorActivities(llmUrl = '', heard: (model: string, first: number, end: number) => void = () => {}) {
  const llm = new OpenAI({ baseURL: llmUrl, apiKey: 'bench', maxRetries: 0 });
  const now = () => performance.timeOrigin + performance.now();
  return {
    async noop(): Promise<void> {},
    async streamModel(model: string): Promise<void> {
      const stream = await llm.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }], stream: true });
      let first = NaN;
      for await (const chunk of stream) if (Number.isNaN(first) && chunk.choices[0]?.delta?.content) first = now();
      heard(model, first, now());
    },
  };
}

export type FloorActivities = ReturnType<typeof floorActivities>;

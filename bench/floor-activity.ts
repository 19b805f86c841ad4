/** The floor benchmark's one activity: does nothing, so what is measured is Temporal's own cost. */
export const floorActivities = {
  async noop(): Promise<void> {},
};

export type FloorActivities = typeof floorActivities;

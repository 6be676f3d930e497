/** A duration as the status log and error messages say it: seconds under a minute, else minutes. */
export function minutes(ms: number): string {
  return ms < 60_000 ? `${Math.round(ms / 1000)} s` : `${Math.round(ms / 60_000)} min`;
}

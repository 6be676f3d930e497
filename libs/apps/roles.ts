/**
 * Roles on an app (docs/contract.md#collaborators): each allows what the ones before it allow.
 * viewer reads the app, its deployments, releases, log and feed; deployer also retries, cancels,
 * rolls back, redeploys, promotes and unlocks; approver also approves, rejects and deploys now;
 * admin also changes settings, collaborators and notifications, and deletes. The owner is admin.
 */
export const APP_ROLES = ['viewer', 'deployer', 'approver', 'admin'] as const;
export type AppRole = (typeof APP_ROLES)[number];

/** One collaborator of an app, as stored in the app's record. */
export interface Collaborator {
  user: string;
  role: AppRole;
}

/** The parts of an app record that say who may do what. */
export interface AppMembers {
  user: string;
  collaborators?: Collaborator[];
}

/** The role `user` has on the app: admin for its owner, the collaborator's role, or none. */
export function roleOf(app: AppMembers, user: string): AppRole | undefined {
  if (app.user === user) return 'admin';
  return app.collaborators?.find((collaborator) => collaborator.user === user)?.role;
}

/** Whether `role` allows what `needed` allows. */
export function allows(role: AppRole | undefined, needed: AppRole): boolean {
  return role !== undefined && APP_ROLES.indexOf(role) >= APP_ROLES.indexOf(needed);
}

/** The users whose role allows `needed`, the owner first. */
export function usersAllowed(app: AppMembers, needed: AppRole): string[] {
  const others = (app.collaborators ?? []).filter((c) => allows(c.role, needed)).map((c) => c.user);
  return [app.user, ...others.filter((user) => user !== app.user)];
}

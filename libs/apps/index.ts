export * from './app-config-cache';
export * from './app.dto';
export * from './apps.module';
export * from './apps.repository';
export * from './apps.service';
export * from './default-target-names.repository';
export * from './roles';
export { AppTargetRulesModule, APP_TARGET_RULES } from './target-rules';
export type { AppTargetRules } from './target-rules';

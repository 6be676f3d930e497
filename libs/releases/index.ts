export * from './asked-by';
export * from './release.dto';
export * from './release-keeping';
export * from './releases.module';
export * from './releases.repository';
export * from './releases.service';

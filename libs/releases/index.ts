export * from './release.dto';
export * from './releases.module';
export * from './releases.repository';
export * from './releases.service';

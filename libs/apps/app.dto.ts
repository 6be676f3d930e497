import { Type } from 'class-transformer';
import { IsBoolean, IsIn, IsObject, IsOptional, IsString, Matches, MaxLength, ValidateNested } from 'class-validator';

export const APP_NAME = /^[a-z0-9][a-z0-9._-]{0,99}$/i;

export class TargetDto {
  @IsString() @MaxLength(2048) @Matches(/^https?:\/\//, { message: 'target.url must be an http(s) URL' })
  url: string;

  @IsOptional() @IsString() @MaxLength(2048) @Matches(/^https?:\/\//, { message: 'target.statusUrl must be an http(s) URL' })
  statusUrl?: string;

  @IsOptional() @IsString() @MaxLength(256)
  username?: string;

  @IsOptional() @IsString() @MaxLength(1024)
  password?: string;

  @IsOptional() @IsIn(['tar.gz', 'zip'])
  archiveFormat?: 'tar.gz' | 'zip';
}

/** Body of `PUT /1/apps/:user/:app`. */
export class AppDto {
  @IsString() @Matches(/^[A-Za-z0-9_.-]{1,100}\/[A-Za-z0-9_.-]{1,100}$/, { message: 'repository must be owner/name' })
  repository: string;

  @IsOptional() @IsString() @MaxLength(255) @Matches(/^[^\s~^:?*[\\]+$/, { message: 'branch must be a valid git branch name' })
  branch?: string;

  @IsOptional() @ValidateNested() @Type(() => TargetDto)
  target?: TargetDto;

  @IsOptional() @IsString() @MaxLength(256)
  webhookSecret?: string;

  @IsOptional() @IsObject()
  env?: Record<string, string>;

  @IsOptional() @IsBoolean()
  retain?: boolean;

  @IsOptional() @IsIn(['auto', 'travis', 'none'])
  ci?: 'auto' | 'travis' | 'none';
}

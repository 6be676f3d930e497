import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Allow, IsOptional, Matches } from 'class-validator';

/** Body of `POST /1/auth/github`; `credentials` is checked by the service, which has the catalogue's codes for it. */
export class GithubAuthBodyDto {
  @ApiProperty({
    type: String,
    example: 'octocat:ghp_xxxxxxxxxxxxxxxxxxxx',
    description: '`githubUser:githubToken` (a personal access token).',
    writeOnly: true,
  })
  @Allow()
  credentials?: unknown;
}

export class GithubAuthQueryDto {
  @ApiPropertyOptional({ description: 'Restrict the token to this app (then it is not used for private-repository access).' })
  @IsOptional()
  @Matches(/^[a-zA-Z0-9][a-zA-Z0-9._-]{0,213}$/, { message: 'app must be an application name' })
  app?: string;
}

/** Body of `POST /1/auth/github/installations`; checked by the service, which has the codes for it. */
export class GithubInstallationBodyDto {
  @ApiProperty({
    type: Number,
    example: 12345678,
    description: "The GitHub App installation id (in the installation's settings URL, `…/settings/installations/<id>`).",
  })
  @Allow()
  installationId?: unknown;
}

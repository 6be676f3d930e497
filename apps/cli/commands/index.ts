import { CommandSpec } from '../command';
import { appsGet, appsSet } from './apps';
import { approvals, approve, deployNow, reject } from './approvals';
import { deploysCancel, deploysList, deploysRetry, deploysShow } from './deploys';
import { envGet, envRm, envSet } from './env';
import { githubAuth } from './github';
import { login, logout } from './login';
import { deliveries, notifyAdd, notifyList, notifyRemove } from './notify';
import { previewsApprove, previewsList } from './previews';
import { promote, redeploy, releasesList, rollback, unlock } from './releases';
import { tokensCreate, tokensList, tokensRevoke } from './tokens';
import { watch } from './watch';
import { collaboratorsAdd, collaboratorsList, collaboratorsRemove } from './collaborators';
import { pipelinesRun, pipelinesSet, pipelinesShow } from './pipelines';

/** Every command, in the order `deployctl --help` lists them. */
export const COMMANDS: CommandSpec[] = [
  login,
  logout,
  appsSet,
  appsGet,
  envSet,
  envGet,
  envRm,
  tokensCreate,
  tokensList,
  tokensRevoke,
  githubAuth,
  deploysList,
  deploysShow,
  deploysRetry,
  deploysCancel,
  releasesList,
  rollback,
  redeploy,
  promote,
  unlock,
  notifyAdd,
  notifyList,
  notifyRemove,
  deliveries,
  watch,
  collaboratorsAdd,
  collaboratorsList,
  collaboratorsRemove,
  approvals,
  approve,
  reject,
  deployNow,
  previewsList,
  previewsApprove,
  pipelinesSet,
  pipelinesRun,
  pipelinesShow,
];

import { DescribeImageScanFindingsCommand, ScanNotFoundException, type DescribeImageScanFindingsCommandOutput } from '@aws-sdk/client-ecr';
import { ecrRegistryId } from '../deployment/images';
import { withTransientErrorsNamed } from '../shared/aws-errors';
import { ecr } from '../shared/clients/ecr';
import type { DeploymentState, ScanGateProgress, TargetChange } from '../shared/deployment';
import { ScanGateRefused } from '../shared/errors';
import { shortDigest } from '../shared/image';
import { judgeScan, readScan } from './scan-findings';

/**
 * CheckScanFindings: with the slot held and nothing changed, each image whose
 * target has `gates.scanFindings` is judged on ECR's findings for its digest
 * (DescribeImageScanFindings, basic or enhanced scanning). A scan still running is
 * waited for in the state machine, up to `waitSeconds`; a refusal is
 * ScanGateRefused, and the deployment ends FAILED with nothing changed.
 */

/** Between two looks at a scan still running. */
const SCAN_CHECK_SECONDS = 15;

async function findingsOf(change: TargetChange): Promise<DescribeImageScanFindingsCommandOutput | undefined> {
  try {
    return await withTransientErrorsNamed('DescribeImageScanFindings', () =>
      ecr.send(
        new DescribeImageScanFindingsCommand({
          registryId: ecrRegistryId(change.image.registry),
          repositoryName: change.image.repository,
          imageId: { imageDigest: change.image.digest },
          maxResults: 100,
        }),
      ),
    );
  } catch (error) {
    if (error instanceof ScanNotFoundException) return undefined;
    throw error;
  }
}

async function checkScanGate(state: DeploymentState, now = Date.now()): Promise<ScanGateProgress> {
  const since = state.scanGate?.since ?? new Date(now).toISOString();
  const notes: string[] = [];
  const running: string[] = [];
  for (const change of state.deployment.changes) {
    const gate = change.target.gates?.scanFindings;
    if (!gate) continue;
    const image = `${change.target.name} ${change.image.tag ?? `sha256:${shortDigest(change.image.digest)}`}`;
    const verdict = judgeScan(readScan(await findingsOf(change)), gate, image);
    if (verdict.verdict === 'refuse') throw new ScanGateRefused(verdict.reason);
    if (verdict.verdict === 'wait') {
      if (now - Date.parse(since) >= gate.waitSeconds * 1000) {
        throw new ScanGateRefused(`refused by the scan gate: the scan of ${image} was still in progress after ${gate.waitSeconds} s (gates.scanFindings.waitSeconds). Nothing was changed: deploy it again once the scan has finished`);
      }
      running.push(image);
    } else {
      notes.push(`${image}: ${verdict.note ?? 'no findings'}`);
    }
  }
  if (running.length > 0) return { status: 'waiting', since, checkAfterSeconds: SCAN_CHECK_SECONDS, waitingFor: running };
  return { status: 'passed', since, notes };
}

export { checkScanGate };

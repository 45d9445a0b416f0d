import { checkScanGate } from '../gates/scan-gate';
import type { DeploymentState, ScanGateProgress } from '../shared/deployment';
import { step } from '../shared/step';

/** With the slot held and nothing changed: judge the images on ECR's scan findings (ScanGateRefused), or say a scan still runs. */
export const handler = step('CheckScanFindings', (state: DeploymentState): Promise<ScanGateProgress> => checkScanGate(state));

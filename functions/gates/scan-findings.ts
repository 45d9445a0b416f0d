import type { DescribeImageScanFindingsCommandOutput } from '@aws-sdk/client-ecr';
import type { ScanGateConfig } from '../config/schema';

/**
 * The scan gate's judgement of one image (pure): ECR's findings, from basic or
 * enhanced (Inspector) scanning, against the target's `gates.scanFindings`.
 */

/** Worst first; enhanced scanning adds UNTRIAGED, basic scanning UNDEFINED. */
const SEVERITY_ORDER = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL', 'UNDEFINED', 'UNTRIAGED'];
/** Statuses of a finished scan: basic COMPLETE, enhanced ACTIVE (continuous scanning, findings current). */
const COMPLETE = new Set(['COMPLETE', 'ACTIVE']);
/** Statuses of a scan still running: basic IN_PROGRESS, enhanced PENDING. */
const RUNNING = new Set(['IN_PROGRESS', 'PENDING']);
/** At most this many findings are named in a refusal. */
const NAMED_FINDINGS = 5;

interface ScanReading {
  state: 'complete' | 'running' | 'missing';
  /** ECR's status, or why there is none (ScanNotFoundException). */
  scanStatus: string;
  description?: string;
  /** Findings per severity. */
  counts: Record<string, number>;
  /** The worst findings, named: `CVE-2024-3094 (CRITICAL, xz-utils)`. */
  worst: string[];
}

type ScanVerdict = { verdict: 'pass'; note?: string } | { verdict: 'wait' } | { verdict: 'refuse'; reason: string };

const rank = (severity: string | undefined): number => {
  const index = SEVERITY_ORDER.indexOf(severity ?? 'UNDEFINED');
  return index === -1 ? SEVERITY_ORDER.length : index;
};

/** What a DescribeImageScanFindings answer says (undefined: ScanNotFoundException, there is no scan). */
function readScan(output: DescribeImageScanFindingsCommandOutput | undefined): ScanReading {
  if (!output) return { state: 'missing', scanStatus: 'no scan', counts: {}, worst: [] };
  const status = output.imageScanStatus?.status ?? 'UNKNOWN';
  const findings = output.imageScanFindings;
  const named = [
    ...(findings?.findings ?? []).map((f) => ({ severity: f.severity, id: f.name ?? '?', pkg: f.attributes?.find((a) => a.key === 'package_name')?.value })),
    ...(findings?.enhancedFindings ?? []).map((f) => ({
      severity: f.severity,
      id: f.packageVulnerabilityDetails?.vulnerabilityId ?? f.title ?? '?',
      pkg: f.packageVulnerabilityDetails?.vulnerablePackages?.[0]?.name,
    })),
  ].sort((a, b) => rank(a.severity) - rank(b.severity));
  const counted: Record<string, number> = {};
  for (const finding of named) counted[finding.severity ?? 'UNDEFINED'] = (counted[finding.severity ?? 'UNDEFINED'] ?? 0) + 1;
  // The summary counts every finding; the list is one page of them.
  const counts = findings?.findingSeverityCounts && Object.keys(findings.findingSeverityCounts).length > 0 ? { ...findings.findingSeverityCounts } : counted;
  return {
    state: COMPLETE.has(status) ? 'complete' : RUNNING.has(status) ? 'running' : 'missing',
    scanStatus: status,
    ...(output.imageScanStatus?.description ? { description: output.imageScanStatus.description } : {}),
    counts,
    worst: named.slice(0, NAMED_FINDINGS).map((f) => `${f.id} (${f.severity ?? 'UNDEFINED'}${f.pkg ? `, ${f.pkg}` : ''})`),
  };
}

function countsText(counts: Record<string, number>): string {
  return Object.entries(counts)
    .filter(([, n]) => n > 0)
    .sort(([a], [b]) => rank(a) - rank(b))
    .map(([severity, n]) => `${n} ${severity}`)
    .join(', ');
}

/**
 * @example
 * judgeScan(readScan(output), { failOn: 'HIGH', waitSeconds: 600, onMissingScan: 'refuse' }, 'web v1.2.0');
 * // { verdict: 'refuse', reason: 'refused by the scan gate: web v1.2.0 has 1 CRITICAL, 2 HIGH … (failOn HIGH): CVE-… (CRITICAL, openssl), …' }
 */
function judgeScan(reading: ScanReading, gate: ScanGateConfig, image: string): ScanVerdict {
  if (reading.state === 'running') return { verdict: 'wait' };
  if (reading.state === 'missing') {
    const why = `ECR has no scan results for ${image} (${reading.scanStatus}${reading.description ? `: ${reading.description}` : ''})`;
    if (gate.onMissingScan === 'allow') return { verdict: 'pass', note: `${why}; deployed anyway (gates.scanFindings.onMissingScan: allow)` };
    return {
      verdict: 'refuse',
      reason: `refused by the scan gate: ${why}. Turn on scan on push (aws ecr put-image-scanning-configuration --repository-name … --image-scanning-configuration scanOnPush=true) and push again, or set gates.scanFindings.onMissingScan: allow`,
    };
  }
  const threshold = rank(gate.failOn);
  const blocking = Object.entries(reading.counts).filter(([severity, n]) => n > 0 && rank(severity) <= threshold);
  if (blocking.length === 0) return { verdict: 'pass', ...(countsText(reading.counts) ? { note: `findings below ${gate.failOn}: ${countsText(reading.counts)}` } : {}) };
  const worst = reading.worst.filter((text) => SEVERITY_ORDER.some((s, i) => i <= threshold && text.includes(`(${s}`)));
  return {
    verdict: 'refuse',
    reason: `refused by the scan gate: ${image} has ${countsText(reading.counts)} findings (failOn ${gate.failOn})${worst.length > 0 ? `: ${worst.join(', ')}` : ''}. Nothing was changed: fix them and push a new image`,
  };
}

export { readScan, judgeScan, SEVERITY_ORDER };
export type { ScanReading, ScanVerdict };

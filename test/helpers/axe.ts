// Accessibility audits with axe-core inside a real page: injected into the page's main world, where a
// strict CSP does not apply (a <script> tag would be blocked on the console).
import axe from 'axe-core';
import type { Page } from 'playwright-core';

export interface Finding {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string; summary: string }[];
}

/** Runs axe on the whole page (open shadow roots included) and returns its violations. */
export async function audit(page: Page): Promise<Finding[]> {
  if (!(await page.evaluate(() => typeof (globalThis as any).axe === 'object'))) await page.evaluate(axe.source);
  const violations: any[] = await page.evaluate(() => (globalThis as any).axe.run((globalThis as any).document, { resultTypes: ['violations'] }).then((r: any) => r.violations));
  return violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    nodes: v.nodes.map((n: any) => ({ target: JSON.stringify(n.target), summary: String(n.failureSummary ?? '').split('\n').slice(0, 3).join(' ') })),
  }));
}

/** The serious and critical findings: what the tests keep at zero. */
export async function seriousFindings(page: Page): Promise<Finding[]> {
  return (await audit(page)).filter((f) => f.impact === 'serious' || f.impact === 'critical');
}

/**
 * junit.xml: one <testsuite> per scenario, one <testcase> per gate; a failed gate has a <failure> with its detail.
 * Everything user-supplied is escaped; the seed, title, verdict and the bot under test (bot.command, bot.source, when
 * the report names it) are suite properties.
 */
import type { ScenarioReport } from '../types.ts';
import { escapeXml as x } from './util.ts';

function secs(ms: number): string {
  return Number.isFinite(ms) ? (ms / 1000).toFixed(3) : '0';
}

function suite(r: ScenarioReport, indent: string): string {
  const failures = r.gates.filter((g) => !g.pass).length;
  const out: string[] = [];
  out.push(
    `${indent}<testsuite name="${x(r.scenarioId)}" tests="${r.gates.length}" failures="${failures}" errors="0" skipped="0" time="${secs(r.durationMs)}" timestamp="${x(r.startedAt)}">`,
  );
  out.push(`${indent}  <properties>`);
  out.push(`${indent}    <property name="seed" value="${r.seed}"/>`);
  out.push(`${indent}    <property name="title" value="${x(r.title)}"/>`);
  out.push(`${indent}    <property name="verdict" value="${r.pass ? 'PASS' : 'FAIL'}"/>`);
  if (r.bot) {
    out.push(`${indent}    <property name="bot.command" value="${x(r.bot.command)}"/>`);
    out.push(`${indent}    <property name="bot.source" value="${x(r.bot.source)}"/>`);
  }
  out.push(`${indent}  </properties>`);
  for (const g of r.gates) {
    const head = `${indent}  <testcase classname="${x(r.scenarioId)}" name="${x(g.name)}" time="0"`;
    if (g.pass) {
      out.push(`${head}>`);
      out.push(`${indent}    <system-out>${x(g.detail)}</system-out>`);
      out.push(`${indent}  </testcase>`);
    } else {
      out.push(`${head}>`);
      out.push(`${indent}    <failure message="${x(g.detail)}" type="gate">${x(`${g.name}: ${g.detail} (seed ${r.seed})`)}</failure>`);
      out.push(`${indent}  </testcase>`);
    }
  }
  out.push(`${indent}</testsuite>`);
  return out.join('\n');
}

/** A JUnit document for one or more scenarios. */
export function junitXml(reports: readonly ScenarioReport[], name = 'mm-bench'): string {
  const tests = reports.reduce((n, r) => n + r.gates.length, 0);
  const failures = reports.reduce((n, r) => n + r.gates.filter((g) => !g.pass).length, 0);
  const time = reports.reduce((t, r) => t + (Number.isFinite(r.durationMs) ? r.durationMs : 0), 0);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${x(name)}" tests="${tests}" failures="${failures}" errors="0" time="${secs(time)}">`,
    ...reports.map((r) => suite(r, '  ')),
    '</testsuites>',
    '',
  ].join('\n');
}

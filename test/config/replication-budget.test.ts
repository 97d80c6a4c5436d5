import { validateConfig, type EnvironmentConfigInput } from '../../lib/config';
import {
  BATCH_APPLY,
  REPLICATION_ALARM,
  replicationBudget,
  replicationBudgetIssues,
} from '../../lib/config/replication-budget';
import { devLike, prodLike } from '../fixtures/configs';
import { problemsAfter as problemsAfterEdit } from '../helpers/config-problems';

/** Problems after one edit; these tests start from the prod-like fixture unless told otherwise. */
const problemsAfter = (edit: (config: EnvironmentConfigInput) => void, base = prodLike) =>
  problemsAfterEdit(edit, base);

describe('replication budget: thresholds derived from slo.replicationFreshnessMinutes', () => {
  test('the 30-minute SLO pages at 8 minutes of lag, 15 minutes before the SLO is breached', () => {
    expect(replicationBudget(validateConfig(prodLike, 'prod'))).toEqual({
      sloMinutes: 30,
      pageBySeconds: 900,
      evaluationSeconds: 300,
      metricDelayAllowanceSeconds: 120,
      thresholdSeconds: 480,
      minimumThresholdSeconds: 120,
      timeToActMinutes: 15,
    });
  });

  test('the threshold plus the evaluation and the delay allowance leave exactly half the SLO', () => {
    for (const slo of [18, 20, 30, 45, 60]) {
      const budget = replicationBudget({ slo: { replicationFreshnessMinutes: slo } });
      const pagedAt = budget.thresholdSeconds + budget.evaluationSeconds + budget.metricDelayAllowanceSeconds;
      expect({ slo, left: slo * 60 - pagedAt }).toEqual({ slo, left: slo * 30 });
    }
  });

  test('a longer SLO raises the threshold by half of the added time', () => {
    expect(replicationBudget({ slo: { replicationFreshnessMinutes: 60 } }).thresholdSeconds).toBe(1380);
    expect(replicationBudget({ slo: { replicationFreshnessMinutes: 20 } }).thresholdSeconds).toBe(180);
  });

  test('the healthy-latency floor is twice the batch apply timeout', () => {
    expect(BATCH_APPLY.timeoutMaxSeconds).toBe(60);
    expect(replicationBudget({ slo: { replicationFreshnessMinutes: 30 } }).minimumThresholdSeconds).toBe(120);
    expect(REPLICATION_ALARM).toEqual({
      periodSeconds: 60,
      evaluationPeriods: 5,
      metricDelayAllowanceSeconds: 120,
      actFraction: 0.5,
    });
  });
});

describe('replication budget: the synth check', () => {
  test('the fixtures pass', () => {
    expect(problemsAfter(() => undefined)).toEqual([]);
    expect(problemsAfter(() => undefined, devLike)).toEqual([]);
  });

  test('18 minutes is the shortest SLO the alarms can guard (threshold 120 s)', () => {
    expect(
      replicationBudgetIssues({ slo: { replicationFreshnessMinutes: 18 }, replication: { enabled: true } }),
    ).toEqual([]);
    expect(
      replicationBudgetIssues({ slo: { replicationFreshnessMinutes: 17 }, replication: { enabled: true } }),
    ).toHaveLength(1);
  });

  test('a 15-minute SLO fails synth with one line that shows the arithmetic', () => {
    expect(
      problemsAfter((config) => {
        config.slo = { replicationFreshnessMinutes: 15 };
      }),
    ).toEqual([
      'slo.replicationFreshnessMinutes: expected a replication SLO whose CDC latency alarms can page with 50% of it ' +
        'left to act; 15 min gives a threshold of 30 s = 50% of the SLO 450 s - evaluation 5 x 60 s - metric delay ' +
        'allowance 120 s, under 120 s = 2 x BatchApplyTimeoutMax 60 s, the latency of a healthy replication; received 15',
    ]);
  });

  test('no check when the replication is disabled', () => {
    expect(
      problemsAfter((config) => {
        config.slo = { replicationFreshnessMinutes: 15 };
        config.replication = { ...config.replication, enabled: false };
      }, devLike),
    ).toEqual([]);
  });
});

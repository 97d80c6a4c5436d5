import type { IngestionTable } from '../../../lambda/start-ingestion/contract';

/** The tables of trackman-backend as the CDK side would pass them, plus a second source. */
export const INGESTION_TABLES: readonly IngestionTable[] = [
  {
    source: 'trackman-backend',
    table: 'public.sessions',
    jobName: 'trackman-dev-ingest-trackman-backend-public-sessions',
  },
  {
    source: 'trackman-backend',
    table: 'public.shots',
    jobName: 'trackman-dev-ingest-trackman-backend-public-shots',
  },
  {
    source: 'trackman-backend',
    table: 'public.players',
    jobName: 'trackman-dev-ingest-trackman-backend-public-players',
  },
  {
    source: 'trackman-backend',
    table: 'public.facilities',
    jobName: 'trackman-dev-ingest-trackman-backend-public-facilities',
  },
  {
    source: 'booking-service',
    table: 'booking.reservations',
    jobName: 'trackman-dev-ingest-booking-reservations',
  },
];

export const STATE_MACHINE_ARN = 'arn:aws:states:eu-west-1:111111111111:stateMachine:LakeIngestionWorkflow';

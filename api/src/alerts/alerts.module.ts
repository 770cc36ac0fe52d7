import { Module } from '@nestjs/common';
import { DriftModule } from '../drift/drift.module';
import { AlertsController } from './alerts.controller';
import { AlertsRepository } from './alerts.repository';
import { AlertsService } from './alerts.service';
import { AlertEvaluatorService } from './alert-evaluator.service';
import { AlertSchedulerService } from './alert-scheduler.service';
import { DeliveryWorkerService } from './delivery-worker.service';

/** Scheduled drift alerts to chat: rules, evaluations, the delivery outbox and its worker. */
@Module({
  imports: [DriftModule],
  controllers: [AlertsController],
  providers: [AlertsRepository, AlertEvaluatorService, DeliveryWorkerService, AlertSchedulerService, AlertsService],
  exports: [AlertEvaluatorService, DeliveryWorkerService, AlertSchedulerService, AlertsService],
})
export class AlertsModule {}

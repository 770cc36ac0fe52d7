import { Module } from '@nestjs/common';
import { GitModule } from '../git/git.module';
import { DriftController } from './drift.controller';
import { DriftEngineService } from './drift-engine.service';
import { DriftQueryService } from './drift-query.service';
import { DriftRepository } from './drift.repository';
import { DriftWorkerService } from './drift-worker.service';

@Module({
  imports: [GitModule],
  controllers: [DriftController],
  providers: [DriftRepository, DriftEngineService, DriftQueryService, DriftWorkerService],
  exports: [DriftEngineService, DriftQueryService, DriftRepository],
})
export class DriftModule {}

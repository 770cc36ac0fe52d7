import { Module } from '@nestjs/common';
import { DriftModule } from '../drift/drift.module';
import { TimelineController } from './timeline.controller';
import { TimelineRepository } from './timeline.repository';
import { TimelineService } from './timeline.service';

@Module({
  imports: [DriftModule],
  controllers: [TimelineController],
  providers: [TimelineRepository, TimelineService],
  exports: [TimelineService],
})
export class TimelineModule {}

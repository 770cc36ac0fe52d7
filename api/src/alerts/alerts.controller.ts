import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { cursor, ZodPipe } from '../common/zod';
import { AlertsService } from './alerts.service';
import { AlertChannelDto, AlertRuleDto, ChannelTestResultDto, DeliveryPageDto } from './alerts.dto';

const deliveriesQuery = z.strictObject({
  status: z.enum(['pending', 'sent', 'dead']).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor,
});

@ApiTags('alerts')
@Controller('api/v1/alerts')
export class AlertsController {
  constructor(private readonly alerts: AlertsService) {}

  @Get('channels')
  @ApiOperation({ summary: 'Chat channels: name, type and the webhook host (never the full URL)' })
  @ApiOkResponse({ type: [AlertChannelDto] })
  channels() {
    return this.alerts.channels();
  }

  @Get('rules')
  @ApiOperation({ summary: 'Alert rules with their next scheduled run and last evaluation' })
  @ApiOkResponse({ type: [AlertRuleDto] })
  rules() {
    return this.alerts.rules();
  }

  @Get('deliveries')
  @ApiOperation({ summary: 'Outbox deliveries, newest first, each with every attempt' })
  @ApiQuery({ name: 'status', required: false, enum: ['pending', 'sent', 'dead'] })
  @ApiQuery({ name: 'limit', required: false, type: Number })
  @ApiQuery({ name: 'cursor', required: false })
  @ApiOkResponse({ type: DeliveryPageDto })
  deliveries(@Query(new ZodPipe(deliveriesQuery)) q: z.output<typeof deliveriesQuery>) {
    return this.alerts.deliveries(q);
  }

  @Post('channels/:name/test')
  @HttpCode(200)
  @ApiOperation({ summary: 'Send a test message to a channel now; the result says what the receiver answered' })
  @ApiOkResponse({ type: ChannelTestResultDto })
  test(@Param('name') name: string) {
    return this.alerts.testChannel(name);
  }
}

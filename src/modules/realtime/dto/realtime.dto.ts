import { OmitType } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsOptional, IsString, IsUUID, Length, MaxLength } from 'class-validator';
import { DecideConsentDto } from '../../consent/dto/consent.dto';

/** join_room, leave_room, cancel. */
export class RoomDto {
  @IsUUID()
  room_id: string;
}

/** send_message: a message to the room's conversation (REST's SendMessageDto with `room_id`). */
export class SocketSendMessageDto extends RoomDto {
  @IsString()
  @Length(1, 32_000)
  message: string;

  @IsOptional()
  @IsString()
  @MaxLength(200)
  model?: string;

  /** File ids of this conversation, as on POST /chat/message. */
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(10)
  @IsUUID('all', { each: true })
  attachments?: string[];
}

/** consent: the body of POST /chat/consent; the continuation streams to the room, never as SSE. */
export class SocketConsentDto extends OmitType(DecideConsentDto, ['stream'] as const) {}

import { StoredFile } from '../file.entity';

export class FileDto {
  id: string;
  conversation_id: string | null;
  filename: string;
  /** As sniffed from the bytes. */
  content_type: string;
  size: number;
  sha256: string;
  created_at: string;
}

export function mapFile(file: StoredFile): FileDto {
  return {
    id: file.id,
    conversation_id: file.conversationId,
    filename: file.filename,
    content_type: file.contentType,
    size: file.size,
    sha256: file.sha256,
    created_at: file.createdAt.toISOString(),
  };
}

/** The multipart body of an upload, for the OpenAPI document. */
export class UploadFilesDto {
  /** One or more files (field name `files`). */
  files: string[];
}

import { Body, Controller, Get, Module, Post, Query } from '@nestjs/common';
import { IsInt, IsString, Max, Min } from 'class-validator';
import { Public } from '../../src/common/auth/public.decorator';
import { DataSource } from 'typeorm';

class ProbeBody {
  @IsString()
  name: string;

  @IsInt()
  @Min(1)
  @Max(10)
  count: number;
}

/** Routes that exist only in tests, to drive error and shutdown paths of the real stack. */
@Public()
@Controller('probe')
class ProbeController {
  constructor(private readonly dataSource: DataSource) {}

  @Get('slow')
  async slow(@Query('ms') ms = '1000') {
    await new Promise((resolve) => setTimeout(resolve, Number(ms)));
    const [row] = await this.dataSource.query('SELECT 1 AS one');
    return { waited: Number(ms), db: row.one };
  }

  @Get('crash')
  crash(): never {
    throw new Error('secret internal detail at /srv/app.ts:42');
  }

  @Get('sql')
  async sql() {
    return this.dataSource.query('SELECT * FROM table_that_does_not_exist');
  }

  @Post('validate')
  validate(@Body() body: ProbeBody) {
    return body;
  }
}

@Module({ controllers: [ProbeController] })
export class ProbeModule {}

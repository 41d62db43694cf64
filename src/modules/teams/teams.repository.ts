import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, Repository } from 'typeorm';
import { isUniqueViolation } from '../../database/pg-errors';
import { Team } from './team.entity';

@Injectable()
export class TeamsRepository {
  constructor(@InjectRepository(Team) private readonly teams: Repository<Team>) {}

  /** Built-in teams first, then the user's own, by name. */
  list(userId: string, query: { limit: number; offset: number }): Promise<[Team[], number]> {
    return this.teams
      .createQueryBuilder('t')
      .where('(t.user_id IS NULL OR t.user_id = :userId)', { userId })
      .orderBy('t.user_id IS NULL', 'DESC')
      .addOrderBy('t.name')
      .addOrderBy('t.id')
      .take(query.limit)
      .skip(query.offset)
      .getManyAndCount();
  }

  /** A team the user may read: their own or a built-in one. */
  async findVisible(id: string, userId: string): Promise<Team | null> {
    return (await this.teams.findOneBy({ id, userId })) ?? (await this.teams.findOneBy({ id, userId: IsNull() }));
  }

  /** By slug: the user's own team wins over a built-in one. */
  async findVisibleBySlug(slug: string, userId: string): Promise<Team | null> {
    return (await this.teams.findOneBy({ slug, userId })) ?? (await this.teams.findOneBy({ slug, userId: IsNull() }));
  }

  findBuiltInBySlug(slug: string): Promise<Team | null> {
    return this.teams.findOneBy({ slug, userId: IsNull() });
  }

  /** null when the slug is taken by another of the user's teams. */
  async create(data: Omit<Team, 'id' | 'createdAt' | 'updatedAt'>): Promise<Team | null> {
    try {
      return await this.teams.save(this.teams.create(data));
    } catch (error) {
      if (isUniqueViolation(error)) return null;
      throw error;
    }
  }

  async update(id: string, userId: string, patch: Partial<Pick<Team, 'name' | 'description' | 'agents' | 'orchestration' | 'defaultConfig'>>): Promise<Team | null> {
    const changes = Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined));
    if (Object.keys(changes).length) await this.teams.update({ id, userId }, changes);
    return this.teams.findOneBy({ id, userId });
  }

  async delete(id: string, userId: string): Promise<boolean> {
    const result = await this.teams.delete({ id, userId });
    return (result.affected ?? 0) > 0;
  }
}

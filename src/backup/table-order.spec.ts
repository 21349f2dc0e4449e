import { inDependencyOrder } from './table-order';

const t = (name: string, ...references: string[]) => ({ name, references });
const names = (tables: { name: string }[]) => tables.map((x) => x.name);

describe('inDependencyOrder', () => {
  it('puts every table after the tables it references, ties by name', () => {
    const ordered = inDependencyOrder([
      t('task_logs', 'tasks'),
      t('tasks', 'users', 'entities'),
      t('users'),
      t('entities'),
      t('memberships', 'users', 'entities'),
    ]);
    expect(names(ordered)).toEqual(['entities', 'users', 'memberships', 'tasks', 'task_logs']);
  });

  it('ignores references to tables outside the set', () => {
    expect(names(inDependencyOrder([t('b', 'a', 'elsewhere'), t('a')]))).toEqual(['a', 'b']);
  });

  it('refuses a cycle, naming the tables in it', () => {
    expect(() => inDependencyOrder([t('a', 'b'), t('b', 'a'), t('c')])).toThrow(
      'foreign keys form a cycle between: a, b',
    );
  });
});

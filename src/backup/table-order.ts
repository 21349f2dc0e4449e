import { DataSource, EntityMetadata } from 'typeorm';
import { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata';

/** One table as the backup sees it: read straight from the entities' metadata. */
export interface BackupTable {
  name: string;
  /** Every stored column, in entity order; generated ones (the database computes them) left out. */
  columns: ColumnMetadata[];
  /** The primary key's columns: the keyset order of the streamed reads. */
  primaryKey: string[];
  /** Tables this one references (self-references left out). */
  references: string[];
}

/**
 * Every table of the relational schema, parents before children. Taken from
 * DataSource.entityMetadatas, not a list kept by hand: a table added by a new entity is
 * backed up and restored without touching this module. TypeORM's own tables (migrations,
 * typeorm_metadata) are no entities: the migrations write them.
 */
export function backupTables(dataSource: DataSource): BackupTable[] {
  const tables = dataSource.entityMetadatas
    .filter((m) => m.tableType === 'regular' || m.tableType === 'junction')
    .map(toBackupTable);
  return inDependencyOrder(tables);
}

function toBackupTable(metadata: EntityMetadata): BackupTable {
  const columns = metadata.columns.filter(
    (c) => !c.isVirtual && !c.isVirtualProperty && !c.generatedType,
  );
  return {
    name: metadata.tableName,
    columns,
    primaryKey: metadata.primaryColumns.map((c) => c.databaseName),
    references: [
      ...new Set(
        metadata.foreignKeys
          .map((fk) => fk.referencedEntityMetadata.tableName)
          .filter((name) => name !== metadata.tableName),
      ),
    ],
  };
}

/**
 * Topological sort (Kahn): a table comes after every table it references; ties by name, so
 * the order is stable between runs. A cycle cannot be restored table by table: it fails loudly.
 */
export function inDependencyOrder<T extends { name: string; references: string[] }>(
  tables: T[],
): T[] {
  const byName = new Map(tables.map((t) => [t.name, t]));
  const waitingOn = new Map(
    tables.map((t) => [t.name, new Set(t.references.filter((r) => byName.has(r)))]),
  );
  const ordered: T[] = [];
  while (waitingOn.size > 0) {
    const ready = [...waitingOn.entries()]
      .filter(([, deps]) => deps.size === 0)
      .map(([name]) => name)
      .sort();
    if (ready.length === 0) {
      throw new Error(`foreign keys form a cycle between: ${[...waitingOn.keys()].join(', ')}`);
    }
    for (const name of ready) {
      ordered.push(byName.get(name)!);
      waitingOn.delete(name);
      for (const deps of waitingOn.values()) deps.delete(name);
    }
  }
  return ordered;
}

// What a netwatch dashboard JSON must look like, in terms of @grafana/schema's types (checked by typecheck.mjs).
//
// @grafana/schema describes dashboards with TypeScript enums (MappingType.ValueToText, ...) while the JSON holds
// their plain values ("value"); `Wire<T>` turns every enum into the union of its values, so a JSON object literal
// can be checked against the real types. Panels are checked against their plugin's own option and field-config
// types (a discriminated union on `type`), and queries and annotation targets against the InfluxDB data source's
// query model, which @grafana/schema does not ship (its fields are copied from Grafana's influxdb plugin types.ts).

import type {
  AnnotationQuery,
  DataQuery,
  DataSourceRef,
  Dashboard,
  FieldConfig,
  FieldConfigSource,
  Panel,
  RowPanel,
} from '@grafana/schema';
import type { Options as BarGaugeOptions } from '@grafana/schema/dist/esm/raw/composable/bargauge/panelcfg/x/BarGaugePanelCfg_types.gen';
import type {
  FieldConfig as PieChartFieldConfig,
  Options as PieChartOptions,
} from '@grafana/schema/dist/esm/raw/composable/piechart/panelcfg/x/PieChartPanelCfg_types.gen';
import type { Options as StatOptions } from '@grafana/schema/dist/esm/raw/composable/stat/panelcfg/x/StatPanelCfg_types.gen';
import type {
  FieldConfig as TableFieldConfig,
  Options as TableOptions,
} from '@grafana/schema/dist/esm/raw/composable/table/panelcfg/x/TablePanelCfg_types.gen';
import type {
  FieldConfig as TimeSeriesFieldConfig,
  Options as TimeSeriesOptions,
} from '@grafana/schema/dist/esm/raw/composable/timeseries/panelcfg/x/TimeSeriesPanelCfg_types.gen';

/** The JSON form of T: string enums become the union of their values (numeric enums accept numbers already). */
export type Wire<T> = T extends string
  ? `${T}`
  : T extends number | boolean | null | undefined
    ? T
    : T extends (infer E)[]
      ? Wire<E>[]
      : T extends object
        ? { [K in keyof T]: Wire<T[K]> }
        : T;

/** The provisioned data sources (config/grafana/provisioning/datasources/netwatch.yaml). */
export type NetwatchDataSource =
  | { type: 'influxdb'; uid: 'netwatch-influxql' }
  | { type: 'influxdb'; uid: 'netwatch-flux' }
  | { type: 'influxdb'; uid: 'netwatch-pool' };

/** A raw InfluxQL query (InfluxQuery of Grafana's influxdb plugin, raw mode). */
export interface InfluxQLTarget extends DataQuery {
  datasource: { type: 'influxdb'; uid: 'netwatch-influxql' | 'netwatch-pool' };
  query: string;
  rawQuery: true;
  resultFormat: 'time_series' | 'table' | 'logs';
  alias?: string;
}

/** A Flux query (InfluxQuery of Grafana's influxdb plugin with a Flux data source). */
export interface FluxTarget extends DataQuery {
  datasource: { type: 'influxdb'; uid: 'netwatch-flux' };
  query: string;
}

/** An InfluxQL annotation query: columns mapped to the annotation's text, tags and (for regions) end time in ms. */
export interface InfluxQLAnnotationTarget extends DataQuery {
  datasource?: { type: 'influxdb'; uid: 'netwatch-influxql' };
  query: string;
  rawQuery: true;
  fromAnnotations: true;
  textEditor?: boolean;
  textColumn?: string;
  tagsColumn?: string;
  timeEndColumn?: string;
  titleColumn?: string;
}

/** A Flux annotation query: the result's _time, _value and tag columns become the annotation. */
export interface FluxAnnotationTarget extends DataQuery {
  datasource?: { type: 'influxdb'; uid: 'netwatch-flux' };
  query: string;
}

type Target = InfluxQLTarget | FluxTarget;

/** A panel of plugin `T` with its options `O` and custom field config `C`, fed by netwatch data sources. */
type PanelOf<T extends string, O, C> = Omit<Panel<O, C>, 'type' | 'options' | 'fieldConfig' | 'targets' | 'datasource'> & {
  id: number;
  title: string;
  type: T;
  datasource: NetwatchDataSource;
  options: O;
  fieldConfig: Omit<FieldConfigSource<C>, 'defaults'> & { defaults: Omit<FieldConfig<C>, 'custom'> & { custom?: C } };
  targets: Target[];
};

export type NetwatchPanel =
  | PanelOf<'stat', StatOptions, Record<string, never>>
  | PanelOf<'timeseries', TimeSeriesOptions, TimeSeriesFieldConfig>
  | PanelOf<'piechart', PieChartOptions, PieChartFieldConfig>
  | PanelOf<'bargauge', BarGaugeOptions, Record<string, never>>
  | PanelOf<'table', TableOptions, TableFieldConfig>
  | (Omit<RowPanel, 'panels'> & { panels: never[] });

/** Grafana's own built-in annotation ("Annotations & Alerts"). */
type BuiltInAnnotation = AnnotationQuery & { builtIn: 1; datasource: { type: 'grafana'; uid: '-- Grafana --' } };

export type NetwatchAnnotation =
  | BuiltInAnnotation
  | (Omit<AnnotationQuery<InfluxQLAnnotationTarget>, 'datasource'> & {
      datasource: { type: 'influxdb'; uid: 'netwatch-influxql' };
      target: InfluxQLAnnotationTarget;
    })
  | (Omit<AnnotationQuery<FluxAnnotationTarget>, 'datasource'> & {
      datasource: { type: 'influxdb'; uid: 'netwatch-flux' };
      target: FluxAnnotationTarget;
    });

export type NetwatchDashboard = Wire<
  Omit<Dashboard, 'panels' | 'annotations' | 'uid' | 'title'> & {
    uid: string;
    title: string;
    panels: NetwatchPanel[];
    annotations: { list: NetwatchAnnotation[] };
  }
>;

// Keep DataSourceRef in the public surface: variables reference data sources through it.
export type { DataSourceRef };

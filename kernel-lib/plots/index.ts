export { display, newDisplay, inNotebook, type MimeBundle, type LiveDisplay, type KernelDisplayHook } from "./display";
export { tableBundle, escapeHtml, type TableOptions, type ColumnAlignment } from "./table";
export type { Chart, ChartLayout, AxisSpec, Trace, LineTrace, BarTrace, HeatmapTrace } from "./chart-spec";
export { renderChart, renderFigure, showFigure, figureSvg, type RenderOptions, type ShowOptions } from "./figure";
export { chartHtml, plotlyTraces, plotlyLayout } from "./chart-html";
export { chartToSvg } from "./svg-chart";
export { chartText } from "./chart-text";
export { resetPlotlySession, plotlyBundlePending, plotlyBundleScript } from "./plotly-session";
export { svgToPng, rgbToPng } from "./rasterize";
export { plotHistory, type EpochMetrics, type HistoryPlot } from "./history-plot";
export { plotLrSchedule, type LrScheduleOptions, type LrSchedulePlot } from "./lr-schedule-plot";
export { confusionMatrix, computeConfusionMatrix, type ConfusionMatrixOptions, type ConfusionMatrixResult } from "./confusion-matrix";
export { perClassAccuracy, computePerClassAccuracy, type PerClassAccuracy, type PerClassAccuracyResult } from "./per-class-accuracy";
export {
  showImages,
  makeImageGrid,
  imageGridPng,
  type ImageBatch,
  type ImageArray,
  type ImageGrid,
  type ImageGridOptions,
  type ImageGridResult,
  type ShowImagesOptions,
  type TilePlacement,
} from "./image-grid";
export { plotTopLosses, topLossIndices, type TopLossesOptions, type TopLossesResult } from "./top-losses";
export type { LabelInput } from "./labels";

export { runMode, byMode, type RunMode } from "./run-mode";

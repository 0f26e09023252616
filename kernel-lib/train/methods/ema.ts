/**
 * The Mean Teacher: an exponential moving average (EMA) of the student's weights.
 *
 * Decay follows Tarvainen & Valpola (2017): 0.99 while the consistency weight ramps up (the student
 * changes fast, so the teacher must follow it), 0.999 afterwards (a longer memory gives better targets).
 * For the first steps the decay is capped at `1 - 1/(step + 1)`, which makes the teacher the true
 * average of the student weights seen so far instead of being dominated by the random initialisation.
 *
 * BatchNorm running statistics are not parameters, so the EMA alone would leave them at their initial
 * values. The policy is explicit (`TeacherBatchNorm`):
 * - "ema": the teacher's running mean/var are the same EMA over the student's buffers;
 * - "copy": the teacher's buffers are copied from the student's after every step;
 * - "teacher-batches": the buffers are left alone and the teacher updates them itself by running in
 *   training mode on its own (teacher-view) batches, as the authors' PyTorch code does.
 * Integer buffers (`num_batches_tracked`) are always copied: averaging a counter is meaningless.
 */
import * as tf from "@tensorflow/tfjs";
import type { ClassifierModule } from "./model-contract";

export type TeacherBatchNorm = "ema" | "copy" | "teacher-batches";

export interface EmaDecayOptions {
  /** Steps during which the consistency weight ramps up (decay `decayDuringRampUp` while step < this). */
  rampUpSteps: number;
  /** Paper: 0.99. */
  decayDuringRampUp?: number;
  /** Paper: 0.999. */
  decayAfterRampUp?: number;
}

/**
 * Decay for the EMA update made after training step `step` (0-based): at step 0 the teacher becomes
 * the student, at step 1 the mean of the first two students, and so on until the cap is reached.
 */
export function emaDecay(step: number, options: EmaDecayOptions): number {
  if (!Number.isInteger(step) || step < 0) throw new Error(`emaDecay: step must be a non-negative integer (0-based step index), got ${step}`);
  const during = options.decayDuringRampUp ?? 0.99;
  const after = options.decayAfterRampUp ?? 0.999;
  for (const [name, value] of [["decayDuringRampUp", during], ["decayAfterRampUp", after]] as const) {
    if (!(value >= 0 && value < 1)) throw new Error(`emaDecay: ${name} must be in [0, 1), got ${value}`);
  }
  const cap = step < options.rampUpSteps ? during : after;
  return Math.min(1 - 1 / (step + 1), cap);
}

function byName(entries: [string, tf.Variable][]): Map<string, tf.Variable> {
  return new Map(entries);
}

function matchingVariables(student: ClassifierModule, teacher: ClassifierModule, kind: "parameters" | "buffers"): [tf.Variable, tf.Variable][] {
  const studentEntries = kind === "parameters" ? student.namedParameters() : student.namedBuffers();
  const teacherByName = byName(kind === "parameters" ? teacher.namedParameters() : teacher.namedBuffers());
  if (teacherByName.size !== studentEntries.length) {
    throw new Error(
      `Mean Teacher: the teacher has ${teacherByName.size} ${kind} but the student has ${studentEntries.length}; ` +
        `build the teacher with the same constructor and options as the student (e.g. resnet18({ numClasses, cifarStem }) twice)`,
    );
  }
  return studentEntries.map(([name, studentVariable]) => {
    const teacherVariable = teacherByName.get(name);
    if (!teacherVariable) throw new Error(`Mean Teacher: the teacher has no ${kind === "parameters" ? "parameter" : "buffer"} named "${name}"; build it with the same architecture as the student`);
    if (teacherVariable.shape.join("x") !== studentVariable.shape.join("x")) {
      throw new Error(`Mean Teacher: "${name}" has shape [${teacherVariable.shape}] in the teacher but [${studentVariable.shape}] in the student; build both models the same way`);
    }
    return [studentVariable, teacherVariable];
  });
}

/**
 * Makes `teacher` an exact copy of `student` (parameters and buffers) and freezes the teacher's
 * variables (`trainable = false`), so no optimizer or `tf.variableGrads()` call can update them:
 * the teacher changes only through `updateTeacher`.
 */
export function initTeacher(student: ClassifierModule, teacher: ClassifierModule): void {
  for (const kind of ["parameters", "buffers"] as const) {
    for (const [studentVariable, teacherVariable] of matchingVariables(student, teacher, kind)) {
      teacherVariable.assign(studentVariable);
      teacherVariable.trainable = false;
    }
  }
}

/** `teacher = decay · teacher + (1 - decay) · student` for parameters, and buffers per `batchNorm`. */
export function updateTeacher(student: ClassifierModule, teacher: ClassifierModule, decay: number, batchNorm: TeacherBatchNorm): void {
  if (!(decay >= 0 && decay <= 1)) throw new Error(`updateTeacher: decay must be in [0, 1], got ${decay}`);
  const averaged = matchingVariables(student, teacher, "parameters");
  const buffers = matchingVariables(student, teacher, "buffers");
  tf.tidy(() => {
    const moveAverage = ([studentVariable, teacherVariable]: [tf.Variable, tf.Variable]): void => {
      // lerp form keeps one multiply-add per element: t + (1 - decay) (s - t)
      teacherVariable.assign(tf.add(teacherVariable, tf.mul(tf.sub(studentVariable, teacherVariable), 1 - decay)));
    };
    averaged.forEach(moveAverage);
    // "teacher-batches": the teacher's own training-mode forward passes maintain its buffers.
    if (batchNorm === "teacher-batches") return;
    for (const pair of buffers) {
      const [studentVariable, teacherVariable] = pair;
      const isCounter = studentVariable.dtype !== "float32";
      if (isCounter || batchNorm === "copy") teacherVariable.assign(studentVariable);
      else moveAverage(pair);
    }
  });
}

"""jupyter_kernel_test conformance checks for the project's kernel (ts-resnet-lab).

Run by test/jupyter/kernel-conformance.test.ts with JUPYTER_PATH=<repo>/jupyter:
    /usr/bin/python3 -m unittest -v kernel_conformance
Checks without a sample here are reported as skipped by jupyter_kernel_test itself (pager: the kernel
sends no payloads).
"""
import time
import unittest

import jupyter_kernel_test


class TypeScriptKernelTests(jupyter_kernel_test.KernelTests):
    kernel_name = "ts-resnet-lab"
    language_name = "typescript"
    file_extension = ".ts"

    code_hello_world = 'console.log("hello, world")'
    code_stderr = 'console.error("to stderr")'
    code_generate_error = 'throw new Error("expected failure")'

    code_execute_result = [
        {"code": "6 * 7", "result": "42"},
        {"code": '"abc".toUpperCase()', "result": "'ABC'"},
        {"code": "[1, 2, 3].map((v) => v * 2)", "result": "[ 2, 4, 6 ]"},
    ]
    code_history_pattern = "6 * ?"
    supported_history_operations = ("tail", "range", "search")

    code_display_data = [
        {
            "code": 'require("./kernel-lib/plots/display").display({ "text/plain": "t", "text/html": "<b>h</b>" })',
            "mime": "text/html",
        },
        {"code": 'require("tslab").display.png(new Uint8Array([137, 80, 78, 71]))', "mime": "image/png"},
    ]
    code_clear_output = '(globalThis as any).__kernelLibClearOutput()'

    completion_samples = [{"text": "Math.ab", "matches": {"abs"}}]
    complete_code_samples = ["1 + 1", "function f() { return 1; }"]
    incomplete_code_samples = ["function f() {", "const a = ["]
    code_inspect_sample = "Math.max"


    # Protocol checks of our own (beyond jupyter_kernel_test), sharing the same kernel.

    def collect_until_idle(self, msg_id, timeout=30):
        """iopub messages of one request, up to its idle status."""
        outputs = []
        while True:
            msg = self.kc.get_iopub_msg(timeout=timeout)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                return outputs
            outputs.append(msg)

    def reply_to(self, msg_id, timeout=30):
        while True:
            reply = self.kc.get_shell_msg(timeout=timeout)
            if reply["parent_header"].get("msg_id") == msg_id:
                return reply

    def test_queued_cell_after_failure_still_runs(self):
        """A failure with stop_on_error must not abort the request queued right behind it."""
        self.flush_channels()
        failing = self.kc.execute('throw new TypeError("first fails")', stop_on_error=True)
        passing = self.kc.execute('"second runs"')
        self.assertEqual(self.reply_to(failing)["content"]["status"], "error")
        second = self.reply_to(passing)
        self.assertEqual(second["content"]["status"], "ok")
        outputs = self.collect_until_idle(passing)
        results = [m["content"]["data"]["text/plain"] for m in outputs if m["msg_type"] == "execute_result"]
        self.assertEqual(results, ["'second runs'"])

    def test_error_content_names_cell_line(self):
        self.flush_channels()
        code = 'const okLine = 1;\nconst other = 2;\nthrow new RangeError("third line " + okLine);'
        msg_id = self.kc.execute(code)
        reply = self.reply_to(msg_id)["content"]
        self.assertEqual((reply["status"], reply["ename"], reply["evalue"]), ("error", "RangeError", "third line 1"))
        errors = [m for m in self.collect_until_idle(msg_id) if m["msg_type"] == "error"]
        self.assertEqual(len(errors), 1)
        traceback = "\n".join(errors[0]["content"]["traceback"])
        self.assertRegex(traceback, r"line 3\b")
        self.assertIn('throw new RangeError("third line " + okLine)', traceback)

    def test_async_error_names_cell_line(self):
        self.flush_channels()
        code = 'await new Promise((resolve) => setTimeout(resolve, 10));\nconst label = "async";\nthrow new SyntaxError(label + " failure");'
        msg_id = self.kc.execute(code)
        reply = self.reply_to(msg_id)["content"]
        self.assertEqual((reply["status"], reply["ename"], reply["evalue"]), ("error", "SyntaxError", "async failure"))
        self.assertIn('--> 3 throw new SyntaxError(label + " failure");', reply["traceback"])

    def test_compile_error_names_cell_line(self):
        self.flush_channels()
        msg_id = self.kc.execute('const fine = 1;\nconst wrong: string = fine;')
        reply = self.reply_to(msg_id)["content"]
        self.assertEqual((reply["status"], reply["ename"]), ("error", "TypeScriptError"))
        self.assertRegex(reply["evalue"], r"^line 2:7 - Type 'number' is not assignable to type 'string'")
        self.assertIn("--> 2 const wrong: string = fine;", reply["traceback"])

    def test_update_display_data_keeps_display_id(self):
        self.flush_channels()
        code = (
            'const live = require("./kernel-lib/plots/display").newDisplay();\n'
            'live.update({ "text/plain": "step 1" });\nlive.update({ "text/plain": "step 2" });'
        )
        msg_id = self.kc.execute(code)
        self.assertEqual(self.reply_to(msg_id)["content"]["status"], "ok")
        shown = [m for m in self.collect_until_idle(msg_id) if m["msg_type"].endswith("display_data")]
        self.assertEqual([m["msg_type"] for m in shown], ["display_data", "update_display_data"])
        ids = {m["content"]["transient"]["display_id"] for m in shown}
        self.assertEqual(len(ids), 1)
        self.assertEqual(shown[1]["content"]["data"]["text/plain"], "step 2")

    def test_interrupt_stops_busy_loop_and_kernel_keeps_working(self):
        self.flush_channels()
        msg_id = self.kc.execute("let spins = 0;\nwhile (true) { spins++; }")
        time.sleep(1.5)
        self.km.interrupt_kernel()
        reply = self.reply_to(msg_id, timeout=20)["content"]
        self.assertEqual(reply["status"], "error")
        self.assertRegex(reply["evalue"], "interrupted")
        after = self.kc.execute("1 + 1")
        self.assertEqual(self.reply_to(after)["content"]["status"], "ok")

    def test_interrupt_stops_an_awaited_promise(self):
        self.flush_channels()
        msg_id = self.kc.execute("await new Promise((resolve) => setTimeout(resolve, 60000));")
        time.sleep(1.5)
        self.km.interrupt_kernel()
        reply = self.reply_to(msg_id, timeout=20)["content"]
        self.assertEqual((reply["status"], reply["evalue"]), ("error", "Interrupted asynchronously"))

    def test_tensor_result_shows_values(self):
        self.flush_channels()
        msg_id = self.kc.execute('import * as tf from "@tensorflow/tfjs";\ntf.tensor([[1, 2], [3, 4]])')
        self.assertEqual(self.reply_to(msg_id, timeout=60)["content"]["status"], "ok")
        results = [m for m in self.collect_until_idle(msg_id) if m["msg_type"] == "execute_result"]
        self.assertEqual(len(results), 1)
        self.assertRegex(results[0]["content"]["data"]["text/plain"], r"shape: \[2,2\][\s\S]*\[\[1, 2\],\s+\[3, 4\]\]")

    def test_comm_info_reply_type(self):
        self.flush_channels()
        msg_id = self.kc.comm_info()
        reply = self.reply_to(msg_id)
        self.assertEqual(reply["msg_type"], "comm_info_reply")
        self.assertEqual(reply["content"], {"status": "ok", "comms": {}})


if __name__ == "__main__":
    unittest.main()

// Testbench of debounce: drives RefModule and TopModule with the same stimulus and
// compares every output at every sample; prints one line, then finishes.
module tb;
  reg clk = 1'b0;
  reg reset;
  reg in;
  wire out_ref, out_dut;
  integer mismatches = 0;
  integer samples = 0;
  integer seed = 2024;
  integer i;

  RefModule ref_i (.clk(clk), .reset(reset), .in(in), .out(out_ref));
  TopModule dut_i (.clk(clk), .reset(reset), .in(in), .out(out_dut));

  always #5 clk = ~clk;

  task check;
    begin
      #1;
      samples = samples + 1;
      if ({out_ref} !== {out_dut}) mismatches = mismatches + 1;
    end
  endtask

  initial begin
    in = 1'b0;
    reset = 1'b1;
    @(posedge clk);
    for (i = 0; i < 1500; i = i + 1) begin
      @(negedge clk);
      reset = (i < 2) || ($urandom(seed) % 120 == 0);
      in = ($urandom(seed) % 5 == 0) ? ~in : in;
      check;
    end
    $display("Mismatches: %0d in %0d samples", mismatches, samples);
    $finish;
  end
endmodule

// Testbench of traffic_light: drives RefModule and TopModule with the same stimulus and
// compares every output at every sample; prints one line, then finishes.
module tb;
  reg clk = 1'b0;
  reg reset;
  reg ped;
  wire green_ref, green_dut;
  wire yellow_ref, yellow_dut;
  wire red_ref, red_dut;
  integer mismatches = 0;
  integer samples = 0;
  integer seed = 2024;
  integer i;

  RefModule ref_i (.clk(clk), .reset(reset), .ped(ped), .green(green_ref), .yellow(yellow_ref), .red(red_ref));
  TopModule dut_i (.clk(clk), .reset(reset), .ped(ped), .green(green_dut), .yellow(yellow_dut), .red(red_dut));

  always #5 clk = ~clk;

  task check;
    begin
      #1;
      samples = samples + 1;
      if ({green_ref, yellow_ref, red_ref} !== {green_dut, yellow_dut, red_dut}) mismatches = mismatches + 1;
    end
  endtask

  initial begin
    reset = 1'b1;
    @(posedge clk);
    for (i = 0; i < 1500; i = i + 1) begin
      @(negedge clk);
      reset = (i < 2) || ($urandom(seed) % 60 == 0);
      ped = ($urandom(seed) % 4 == 0);
      check;
    end
    $display("Mismatches: %0d in %0d samples", mismatches, samples);
    $finish;
  end
endmodule

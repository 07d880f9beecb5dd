// Testbench of fifo4x8: drives RefModule and TopModule with the same stimulus and
// compares every output at every sample; prints one line, then finishes.
module tb;
  reg clk = 1'b0;
  reg reset;
  reg push;
  reg pop;
  reg [7:0] din;
  wire [7:0] dout_ref, dout_dut;
  wire full_ref, full_dut;
  wire empty_ref, empty_dut;
  wire [2:0] count_ref, count_dut;
  integer mismatches = 0;
  integer samples = 0;
  integer seed = 2024;
  integer i;

  RefModule ref_i (.clk(clk), .reset(reset), .push(push), .pop(pop), .din(din), .dout(dout_ref), .full(full_ref), .empty(empty_ref), .count(count_ref));
  TopModule dut_i (.clk(clk), .reset(reset), .push(push), .pop(pop), .din(din), .dout(dout_dut), .full(full_dut), .empty(empty_dut), .count(count_dut));

  always #5 clk = ~clk;

  task check;
    begin
      #1;
      samples = samples + 1;
      if ({dout_ref, full_ref, empty_ref, count_ref} !== {dout_dut, full_dut, empty_dut, count_dut}) mismatches = mismatches + 1;
    end
  endtask

  initial begin
    reset = 1'b1;
    @(posedge clk);
    for (i = 0; i < 2000; i = i + 1) begin
      @(negedge clk);
      reset = (i < 2) || ($urandom(seed) % 150 == 0);
      push = ((i / 40) % 2 == 0) ? ($urandom(seed) % 4 != 0) : ($urandom(seed) % 4 == 0);
      pop = ((i / 40) % 2 == 1) ? ($urandom(seed) % 4 != 0) : ($urandom(seed) % 4 == 0);
      din = $urandom(seed);
      check;
    end
    $display("Mismatches: %0d in %0d samples", mismatches, samples);
    $finish;
  end
endmodule

// Testbench of arbiter_rr4: drives RefModule and TopModule with the same stimulus and
// compares every output at every sample; prints one line, then finishes.
module tb;
  reg clk = 1'b0;
  reg reset;
  reg [3:0] req;
  wire [3:0] grant_ref, grant_dut;
  integer mismatches = 0;
  integer samples = 0;
  integer seed = 2024;
  integer i;

  RefModule ref_i (.clk(clk), .reset(reset), .req(req), .grant(grant_ref));
  TopModule dut_i (.clk(clk), .reset(reset), .req(req), .grant(grant_dut));

  always #5 clk = ~clk;

  task check;
    begin
      #1;
      samples = samples + 1;
      if ({grant_ref} !== {grant_dut}) mismatches = mismatches + 1;
    end
  endtask

  initial begin
    reset = 1'b1;
    @(posedge clk);
    for (i = 0; i < 1500; i = i + 1) begin
      @(negedge clk);
      reset = (i < 2) || ($urandom(seed) % 60 == 0);
      req = ($urandom(seed) % 2) ? $urandom(seed) : (4'd1 << ($urandom(seed) % 4));
      check;
    end
    $display("Mismatches: %0d in %0d samples", mismatches, samples);
    $finish;
  end
endmodule

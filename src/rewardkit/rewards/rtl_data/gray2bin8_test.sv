// Testbench of gray2bin8: drives RefModule and TopModule with the same stimulus and
// compares every output at every sample; prints one line, then finishes.
module tb;
  reg [7:0] g;
  wire [7:0] b_ref, b_dut;
  integer mismatches = 0;
  integer samples = 0;
  integer seed = 2024;
  integer i;

  RefModule ref_i (.g(g), .b(b_ref));
  TopModule dut_i (.g(g), .b(b_dut));

  task check;
    begin
      #1;
      samples = samples + 1;
      if ({b_ref} !== {b_dut}) mismatches = mismatches + 1;
    end
  endtask

  initial begin
    for (i = 0; i < 256; i = i + 1) begin
      {g} = i;
      check;
    end
    $display("Mismatches: %0d in %0d samples", mismatches, samples);
    $finish;
  end
endmodule

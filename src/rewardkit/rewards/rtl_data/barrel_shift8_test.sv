// Testbench of barrel_shift8: drives RefModule and TopModule with the same stimulus and
// compares every output at every sample; prints one line, then finishes.
module tb;
  reg [7:0] in;
  reg [2:0] amt;
  reg left;
  reg rotate;
  wire [7:0] out_ref, out_dut;
  integer mismatches = 0;
  integer samples = 0;
  integer seed = 2024;
  integer i;

  RefModule ref_i (.in(in), .amt(amt), .left(left), .rotate(rotate), .out(out_ref));
  TopModule dut_i (.in(in), .amt(amt), .left(left), .rotate(rotate), .out(out_dut));

  task check;
    begin
      #1;
      samples = samples + 1;
      if ({out_ref} !== {out_dut}) mismatches = mismatches + 1;
    end
  endtask

  initial begin
    for (i = 0; i < 8192; i = i + 1) begin
      {in, amt, left, rotate} = i;
      check;
    end
    $display("Mismatches: %0d in %0d samples", mismatches, samples);
    $finish;
  end
endmodule

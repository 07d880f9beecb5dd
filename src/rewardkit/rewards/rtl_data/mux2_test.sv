// Testbench of mux2: drives RefModule and TopModule with the same stimulus and
// compares every output at every sample; prints one line, then finishes.
module tb;
  reg [7:0] a;
  reg [7:0] b;
  reg sel;
  wire [7:0] y_ref, y_dut;
  integer mismatches = 0;
  integer samples = 0;
  integer seed = 2024;
  integer i;

  RefModule ref_i (.a(a), .b(b), .sel(sel), .y(y_ref));
  TopModule dut_i (.a(a), .b(b), .sel(sel), .y(y_dut));

  task check;
    begin
      #1;
      samples = samples + 1;
      if ({y_ref} !== {y_dut}) mismatches = mismatches + 1;
    end
  endtask

  initial begin
    a = 8'h00; b = 8'hff; sel = 1'b0; check;
    sel = 1'b1; check;
    for (i = 0; i < 400; i = i + 1) begin
      a = $urandom(seed);
      b = $urandom(seed);
      sel = $urandom(seed);
      check;
    end
    $display("Mismatches: %0d in %0d samples", mismatches, samples);
    $finish;
  end
endmodule

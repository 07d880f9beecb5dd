// Testbench of sat_add8: drives RefModule and TopModule with the same stimulus and
// compares every output at every sample; prints one line, then finishes.
module tb;
  reg [7:0] a;
  reg [7:0] b;
  wire [7:0] y_ref, y_dut;
  integer mismatches = 0;
  integer samples = 0;
  integer seed = 2024;
  integer i;

  RefModule ref_i (.a(a), .b(b), .y(y_ref));
  TopModule dut_i (.a(a), .b(b), .y(y_dut));

  task check;
    begin
      #1;
      samples = samples + 1;
      if ({y_ref} !== {y_dut}) mismatches = mismatches + 1;
    end
  endtask

  initial begin
    a = 8'h00; b = 8'h00; check;
    a = 8'h00; b = 8'h01; check;
    a = 8'h00; b = 8'h7f; check;
    a = 8'h00; b = 8'h80; check;
    a = 8'h00; b = 8'hff; check;
    a = 8'h01; b = 8'h00; check;
    a = 8'h01; b = 8'h01; check;
    a = 8'h01; b = 8'h7f; check;
    a = 8'h01; b = 8'h80; check;
    a = 8'h01; b = 8'hff; check;
    a = 8'h7f; b = 8'h00; check;
    a = 8'h7f; b = 8'h01; check;
    a = 8'h7f; b = 8'h7f; check;
    a = 8'h7f; b = 8'h80; check;
    a = 8'h7f; b = 8'hff; check;
    a = 8'h80; b = 8'h00; check;
    a = 8'h80; b = 8'h01; check;
    a = 8'h80; b = 8'h7f; check;
    a = 8'h80; b = 8'h80; check;
    a = 8'h80; b = 8'hff; check;
    a = 8'hff; b = 8'h00; check;
    a = 8'hff; b = 8'h01; check;
    a = 8'hff; b = 8'h7f; check;
    a = 8'hff; b = 8'h80; check;
    a = 8'hff; b = 8'hff; check;
    for (i = 0; i < 2000; i = i + 1) begin
      a = $urandom(seed);
      case ($urandom(seed) % 4)
        0: b = a;
        1: b = a + (($urandom(seed) % 2) ? 8'd1 : 8'hff);
        2: b = ($urandom(seed) % 2) ? 8'h80 : ~a;
        default: b = $urandom(seed);
      endcase
      check;
    end
    $display("Mismatches: %0d in %0d samples", mismatches, samples);
    $finish;
  end
endmodule

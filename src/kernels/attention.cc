#include "kernels/attention.h"

#include "kernels/attention_in_order.h"
#include "kernels/kernel_table.h"

namespace fw::kernels {
void AttendGroupReference(const AttentionArgs& a) { AttendGroupInOrder(a); }

void AttendGroup(const AttentionArgs& a) {
  if (a.n_keys <= 0) {
    for (int i = 0; i < a.n_group * a.head_dim; ++i) a.out[i] = 0.0f;
    return;
  }
  ActiveKernels().attend_group(a);
}

}  // namespace fw::kernels

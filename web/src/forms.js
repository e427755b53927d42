// forms.js: what the admin screens' lists and editor dialogs share: the dialog's open state and
// the server's errors by field, and deleting an item after asking.
import { computed, reactive, ref } from 'vue';
import { ElMessage, ElMessageBox } from 'element-plus';

// For an editor dialog with an `open` prop and `update:open`: visible (v-model of the dialog),
// errors (the message of each field the server named; '_' for the rest), clearErrors, busy.
export function useEditor(props, emit) {
  const errors = reactive({});
  const clearErrors = () => {
    for (const k of Object.keys(errors)) delete errors[k];
  };
  const visible = computed({ get: () => props.open, set: (v) => emit('update:open', v) });
  return { errors, clearErrors, visible, busy: ref(false) };
}

// Asks whether to delete (message says what), then runs remove() and says how it went; a refusal
// shows refused(e) when given, else the server's message. Resolves true when it was deleted.
export async function confirmRemove(t, message, remove, refused = (e) => e.message) {
  try {
    await ElMessageBox.confirm(message, t('common.delete'), {
      type: 'warning', confirmButtonText: t('common.delete'), cancelButtonText: t('common.cancel'),
      confirmButtonClass: 'el-button--danger',
    });
  } catch {
    return false; // not confirmed
  }
  try {
    await remove();
    ElMessage.success(t('common.deleted'));
    return true;
  } catch (e) {
    ElMessage.error(refused(e));
    return false;
  }
}

// A list screen's items as fetch() answers them ({items}), the error of the last load, and
// saved(), which says so and loads again (for an editor's `saved` event).
export function useList(t, fetch) {
  const items = ref([]);
  const error = ref('');
  async function load() {
    error.value = '';
    try {
      items.value = (await fetch()).items;
    } catch (e) {
      error.value = e.message;
    }
  }
  async function saved() {
    ElMessage.success(t('common.saved'));
    await load();
  }
  return { items, error, load, saved };
}

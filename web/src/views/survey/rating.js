// rating.js: a survey's rating in words: a level ("非常满意") or a score on five points ("4 分");
// a score of 1 or 2 is unsatisfied.
export function ratingLabel(t, rating) {
  if (!rating) return '—';
  return /^[1-5]$/.test(rating) ? t('survey.points', { n: rating }) : t('survey.ratings.' + rating);
}

export const unsatisfied = (score) => typeof score === 'number' && score <= 2;

// the tag's colour for a score: red unsatisfied, grey average, green satisfied
export const scoreTag = (score) => (unsatisfied(score) ? 'danger' : score >= 4 ? 'success' : 'info');

export class ApiError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

export const invalidParameter = (message: string): ApiError => new ApiError('InvalidParameterException', message);
export const invalidRequest = (message: string): ApiError => new ApiError('InvalidRequestException', message);
export const notFound = (message = "Secrets Manager can't find the specified secret."): ApiError =>
  new ApiError('ResourceNotFoundException', message);
export const versionExists = (): ApiError =>
  new ApiError('ResourceExistsException', "You can't modify an existing version, you can only create a new version.");
